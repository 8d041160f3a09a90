"""A platform that, after hospitals complained of 1006 refusals, reads msgCreateTime "in either
zone": a time that is stale by eight hours in Beijing time (a HIS writing UTC) is accepted as if it
were UTC. Any call captured up to eight hours ago can be re-sent."""

import datetime as dt

from ._proxy import ProxyPlatform

_BEIJING = dt.timezone(dt.timedelta(hours=8))
_FORMAT = "%Y-%m-%d %H:%M:%S"


class TimeUtcOrBeijing(ProxyPlatform):
    mutant_name = "rt-time-utc-or-beijing"
    description = "accepts msgCreateTime read as UTC when it is outside the window in UTC+8"
    defect_class = "time window widened by a zone fallback"
    catches = ("QINGHAI-003",)

    def rewrite_call(self, action, message):
        try:
            sent = dt.datetime.strptime(action.get("msgCreateTime", ""), _FORMAT)
        except ValueError:
            return action, message
        now = dt.datetime.now(_BEIJING)
        as_beijing = sent.replace(tzinfo=_BEIJING)
        as_utc = sent.replace(tzinfo=dt.UTC)
        if abs((now - as_beijing).total_seconds()) > 300 and abs((now - as_utc).total_seconds()) <= 300:
            action["msgCreateTime"] = now.strftime(_FORMAT)
        return action, message


MUTANT = TimeUtcOrBeijing
