"""Business rules: every change of money, quota, level or state happens here.

Floor 2 of the house. Service functions take explicit arguments, change rows,
flush, log and return; they never commit: the request (or the CLI step) that
called them commits once at its boundary.
"""
