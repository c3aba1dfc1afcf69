"""Hand-written runtime support for the generated bindings (compile service, cache)."""
