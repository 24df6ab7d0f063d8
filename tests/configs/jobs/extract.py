"""Test fixture job script: rendered configs only need the file to exist and be uploaded."""

print("extract")
