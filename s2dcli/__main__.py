"""`python -m s2dcli` runs the `s2d` command."""

from s2dcli.cli import cli

if __name__ == "__main__":
    cli(prog_name="s2d")
