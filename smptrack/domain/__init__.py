"""Pure model of the field (standard library only): UV dose and the fade projection."""
