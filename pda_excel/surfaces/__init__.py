"""What a person uses: the command line and the demo."""
