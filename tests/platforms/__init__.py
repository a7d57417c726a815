"""Platforms that exist only in the tests: each is installed into a scratch copy of the project the
way the README's "Adding a platform" says, to prove that list of files is all a platform takes."""
