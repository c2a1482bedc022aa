from vagent.cli.main import main

main()
