"""A platform that parses the SOAP request, action and message with lxml's entity-resolving
parser: DTDs are read, internal entities expanded and external entities (files) resolved — the XXE
of the textbook."""

from lxml import etree

from ._proxy import ProxyPlatform

_RESOLVING = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True, huge_tree=False)


def _expanded(text: str) -> str:
    if "<!DOCTYPE" not in text:
        return text
    try:
        root = etree.fromstring(text.encode("utf-8"), _RESOLVING)
    except etree.XMLSyntaxError:
        return text
    return etree.tostring(root, encoding="unicode")


class XxeResolved(ProxyPlatform):
    mutant_name = "xxe-resolved"
    description = "resolves DTD entities (internal and external) in action and message"
    defect_class = "XML external entity resolved"
    catches = ("QINGHAI-007",)
    soap_parser = _RESOLVING  # the SOAP stack expands entities too

    def rewrite_raw(self, action, message):
        return _expanded(action), _expanded(message)


MUTANT = XxeResolved
