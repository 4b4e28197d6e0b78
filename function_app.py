"""Azure Functions (Python v2) entry point: the app and its HTTP functions from the `api` package. Nothing else."""

import azure.functions as func

from api.functions import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
