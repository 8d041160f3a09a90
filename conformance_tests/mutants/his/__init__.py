"""Mutants of the ``his`` role, one module each: an HIS as a careless or dishonest vendor would
write it. Each module defines ``MUTANT`` (name, description, defect class, ``catches``, profile) whose
``his_class()`` is the broken HIS the reference driver runs under ``EHC_HIS_MUTANT=NAME``."""
