"""A platform that checks msgCreateTime for staleness only (now - t > 300 s): a call dated in the
future (a clock set ahead, or a captured call pre-dated for later replay) is served."""

from datetime import datetime, timedelta, timezone

from ._proxy import ProxyPlatform

_BJ = timezone(timedelta(hours=8))


class TimePastOnly(ProxyPlatform):
    mutant_name = "rt3-time-past-only"
    description = "msgCreateTime checked only in the past direction"
    defect_class = "time window one-sided"
    catches = ("QINGHAI-003",)

    def rewrite_call(self, action, message):
        try:
            sent = datetime.strptime(action.get("msgCreateTime", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BJ)
        except ValueError:
            return action, message
        now = datetime.now(_BJ)
        if sent > now:
            action["msgCreateTime"] = now.strftime("%Y-%m-%d %H:%M:%S")
        return action, message


MUTANT = TimePastOnly
