"""Upstream sync of decisions: store-and-forward, signed, exactly-once in effect.

Only an allow-listed decision record leaves the device (:mod:`kiosk.sync.payload`);
no image, embedding, landmark, name, document number or date of birth, unless
the site policy names that field. The message is queued in the encrypted
store's outbox in the same transaction as the decision and drained by
:mod:`kiosk.sync.sender`; :mod:`kiosk.sync.receiver` and :mod:`kiosk.sync.server`
are the reference upstream end that verifies, deduplicates and stores.

Nothing is imported here: each module loads what it needs when it is used.
"""
