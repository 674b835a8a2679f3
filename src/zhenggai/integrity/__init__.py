"""Integrity checks against fake, perfunctory and superficial rectification and blanket shutdowns."""
