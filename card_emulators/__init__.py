"""card_emulators: ISO/IEC 7816-4 card engine, resident health card (WS/T 543) and PSAM
personalities, personalisation, terminal-side flows, fault injection and transports.

Entry points: ``card_emulators.engine`` (CardOS, IsoCard), ``card_emulators.personalise``
(personalise_user_card, new_psam, CardKeys, load_card), ``card_emulators.flows``
(authenticate_read_key, ...), ``card_emulators.transports.inprocess`` (EmulatedCardConnection).
"""
