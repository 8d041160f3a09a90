"""Mutants of the reference HIS: the reference driver run with EHC_HIS_MUTANT set.

Each entry: name -> (description, profile under which the mutated behaviour is required)."""

MUTANTS = {
    "skips-queue": ("does not report the card use at 排队 (queueing)", "national"),
    "one-scene": ("reports every step with the registration scene", "national"),
    "no-pay-later": ("ignores the poverty-relief flag (no treat-first-pay-later)", "hunan-hengyang"),
    "no-retry": ("drops a card-use report the node refused transiently", "national"),
    "keeps-hospital-cards": (
        "keeps issuing and accepting hospital cards after the stop dates",
        "shandong-jining",
    ),
}
