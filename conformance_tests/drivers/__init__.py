"""Reference drivers: the kit's own terminal (and HIS) behind the JSON-lines driver protocols,
so the suites that certify vendors' terminals can prove themselves on a known-good one."""
