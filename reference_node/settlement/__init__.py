"""TEST-ONLY reference settlement (诊间支付 / 诊间结算): a simulated insurer, bank and wallet behind the
node, so a HIS's consulting-room payment step can be certified. No money moves. docs/payment.md."""
