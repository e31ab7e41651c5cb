"""Writing a card: PIV codecs (tlv, apdu, status), the PIV session (piv.py), the
personalisation sequence (personalise.py), the PC/SC transport (pcsc.py, the only pyscard
import), the reader agents and a virtual PIV card for tests and demos."""
