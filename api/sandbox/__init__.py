"""Local stand-ins of outside providers for development and tests.
``wechatpay`` is a WeChat Pay API v3 server (docs/wechatpay.md): started by
``tuangou payments sandbox``, it lets the platform take and refund money
end to end without a merchant account."""
