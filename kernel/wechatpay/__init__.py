"""WeChat Pay API v3 as a merchant uses it (docs/wechatpay.md): ``crypto``
signs, verifies and decrypts; ``client`` is the async client; ``models``
its configuration and answers; ``bill`` the trade bill; ``errors`` what can
go wrong. Money is integer fen throughout."""
