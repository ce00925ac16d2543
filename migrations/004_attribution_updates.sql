-- auditql warehouse, version 4: telling subscribers when a change's actor is settled or upgraded later
-- (Subscription.actorUpdated; docs/subscriptions.md "Actor updates").
--
-- Evidence recorded in the same transaction that stored its change is part of the change when it is
-- first delivered; evidence recorded by a later batch (an activity stream lagging behind the change
-- stream, context arriving after the change) is news to whoever already has the change. The settlement
-- (src/warehouse/attribution/) knows which is which — the batch's own changes are the seq range it just
-- stored — and records it here: true = with its change, false = later. NULL: recorded before this
-- column existed (not known; subscribers are told about those as later).
ALTER TABLE auditql.attributions ADD COLUMN settled_with_change boolean;
