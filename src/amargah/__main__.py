from amargah.cli import main

main()
