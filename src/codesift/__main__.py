from codesift.cli import main

main()
