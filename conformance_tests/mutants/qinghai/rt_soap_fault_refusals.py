"""A platform written on a SOAP toolkit that throws on every error: a refusal comes back as a SOAP
Fault (HTTP 500, faultstring = desc) instead of a <response> with result "failure" and a resultCode.
A hospital system coded to the document (read result/resultCode) gets an exception instead of 1005
or 6002."""

from lxml import etree

from reference_node.platforms.qinghai_envelope import NAMESPACE, XmlRefused, parse_response, soap_fault

from ._proxy import _SAFE, ProxyPlatform


class SoapFaultRefusals(ProxyPlatform):
    mutant_name = "rt-soap-fault-refusals"
    description = "answers every refusal as a SOAP Fault instead of result failure + resultCode"
    defect_class = "refusal carried out of band (SOAP fault)"
    catches = ("QINGHAI-006",)

    def handle_post(self, raw):
        status, data = super().handle_post(raw)
        try:
            result = etree.fromstring(data, _SAFE).find(f".//{{{NAMESPACE}}}RHCMessageServerResult")
            answer = parse_response(result.text or "") if result is not None else None
        except (etree.XMLSyntaxError, XmlRefused, ValueError):
            return status, data
        if answer and answer.get("result") != "success":
            return 500, soap_fault(str(answer.get("desc") or "failure"))
        return status, data


MUTANT = SoapFaultRefusals
