from vagent.cli.app import main

main()
