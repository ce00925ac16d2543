-- Forwarders (docs/siem.md "Delivery"): the role whose scope and masking a forwarder's events go through
-- (`auditql forward --role`), and the stable code of its last delivery error (docs/siem.md "Failures"),
-- which the API shows where the message (a destination's free text) is not shown.
ALTER TABLE auditql.forwarders ADD COLUMN IF NOT EXISTS role text;
ALTER TABLE auditql.forwarders ADD COLUMN IF NOT EXISTS last_error_code text;
