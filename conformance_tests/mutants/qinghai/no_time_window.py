"""A platform that parses msgCreateTime (it must be a date) but never compares it with its clock."""

import datetime as dt

from ._proxy import ProxyPlatform

BEIJING = dt.timezone(dt.timedelta(hours=8))


class NoTimeWindow(ProxyPlatform):
    mutant_name = "no-time-window"
    description = "accepts any msgCreateTime"
    defect_class = "time window not enforced"
    catches = ("QINGHAI-003",)

    def rewrite_call(self, action, message):
        if action.get("msgCreateTime"):
            action["msgCreateTime"] = dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return action, message


MUTANT = NoTimeWindow
