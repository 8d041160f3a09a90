"""A platform whose registerBatchHealthCard answers only the items that were issued: a refused item
vanishes from rspItems instead of answering its error, so the HIS believes the whole batch went
through (and the rows no longer line up with healthCardItems)."""

from ._proxy import ProxyPlatform


class BatchDropsFailed(ProxyPlatform):
    mutant_name = "rt3-batch-drops-failed"
    description = "registerBatchHealthCard leaves refused items out of rspItems"
    defect_class = "batch failure dropped silently"
    catches = ("TENCENT-013",)

    def rewrite_response(self, path, body, out):
        rsp = out.get("rsp")
        if path.endswith("/registerBatchHealthCard") and isinstance(rsp, dict):
            items = rsp.get("rspItems")
            if isinstance(items, list):
                rsp["rspItems"] = [i for i in items if isinstance(i, dict) and i.get("healthCardId")]
        return out


MUTANT = BatchDropsFailed
