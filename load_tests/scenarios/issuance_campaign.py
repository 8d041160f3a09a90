"""issuance-campaign: a county-scale registration drive (batch + online + window sign-up).

Models a county of ~500,000 residents (e.g. 祁东县) in its issuance campaign: the county's
population database is pre-generated in batches (application mode 4, ``RegisterBatch`` streams
of 100 records — two batch feeders, as an operator runs a couple of import jobs at once) while
residents sign up in the mini-program (mode 1, then open a dynamic code) and at windows (mode 3).
User weights: online 8, window 2, batch feeders fixed at 2. Records are new synthetic residents;
a repeated ID finds the existing main index (find-or-create), as on a real node.
"""

from __future__ import annotations

from load_tests.actors import BatchRegistration, OnlineRegistration, WindowRegistration


class CampaignOnline(OnlineRegistration):
    weight = 8


class CampaignWindow(WindowRegistration):
    weight = 2


class CampaignBatch(BatchRegistration):
    fixed_count = 2


USER_CLASSES = [CampaignBatch, CampaignOnline, CampaignWindow]
