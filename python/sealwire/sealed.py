"""Sealed sender (SPEC.md §22): the relay learns who receives a message,
not who sends it.

* The app's server holds a ``ServerKey`` and issues each device a
  short-lived ``SenderCertificate``; clients pin its public key in
  ``TrustedServerKeys``.
* The sender encrypts as usual, then ``seal``\\ s the wire message with its
  certificate for the recipient's identity key; a group post goes to many
  devices in one message (``seal_post``), which the relay ``split``\\ s.
* The recipient ``open``\\ s the envelope (learning who claims to have sent
  it), then ``Unsealed.decrypt`` verifies the certificate (pinned key,
  signature, expiry on the recipient's clock), checks it against the
  sender's ``DeviceList`` and decrypts the inner message, which must
  authenticate as the certificate's identity. Refusals raise
  ``SealedError`` (``kind``: ``UntrustedServerKey``,
  ``CertificateExpired``, ``SenderMismatch``, ...) and change nothing.
* Delivery is gated by an ``AccessKey`` derived from the recipient's
  ``ProfileKey``.
"""

from ._sealwire import sealed as _sealed

# The extension's submodule, re-exported (sealed.pyi lists and types the
# names). `open` is left out of __all__: `from sealwire.sealed import *`
# must not shadow the builtin; call it as `sealed.open(...)`.
globals().update({name: getattr(_sealed, name) for name in _sealed.__all__})
__all__ = [name for name in _sealed.__all__ if name != "open"]
