"""The Functions app's HTTP API: function_app.py registers `api.functions.bp`.

Nothing is imported here, so that p2p/ and devserver/ can use the pure rules (api/token_policy.py) without loading
the Functions runtime.
"""
