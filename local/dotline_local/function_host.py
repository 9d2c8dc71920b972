"""The template's functions as a host runs them: warm containers, routes, and the merged spec."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dotline_local.lambda_containers import ContainerPool, put_layers_on_path
from dotline_local.openapi_merge import FunctionDoc, merge_specs, module_spec
from dotline_local.powertools_isolation import isolate_powertools_request_state
from dotline_local.request_log import logger
from dotline_local.route_table import RouteTable
from dotline_local.sam_template import SamTemplate

WORKER_THREADS = 64
API_TITLE = "dotline"
API_VERSION = "local"


class FunctionHost:
    """The template's functions, their warm containers, and the route table in front of them."""

    def __init__(self, template: SamTemplate, *, containers_per_function: int) -> None:
        self.template = template
        self.routes = RouteTable(template.http_functions)
        self._executor = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="lambda")
        self._pools = {
            f.logical_id: ContainerPool(f, self._executor, containers_per_function)
            for f in template.functions
        }
        self._spec: dict[str, Any] | None = None
        put_layers_on_path(template.layer_dirs)
        # Containers are threads here, not processes as in Lambda: keep each request's state apart.
        isolate_powertools_request_state()

    async def invoke(self, logical_id: str, event: dict[str, Any], request_id: str) -> Any:
        """Invoke a function with any event, as Lambda's Invoke API would."""
        return await self._pools[logical_id].invoke(event, request_id)

    async def openapi(self) -> dict[str, Any]:
        """The merged spec, built once every function has loaded cleanly."""
        if self._spec is not None:
            return self._spec
        docs = [await self._doc(f.logical_id) for f in self.template.http_functions]
        spec = merge_specs(docs, title=API_TITLE, version=API_VERSION)
        if not any(d.error for d in docs):
            self._spec = spec
        return spec

    async def _doc(self, logical_id: str) -> FunctionDoc:
        pool = self._pools[logical_id]
        try:
            return FunctionDoc(pool.function, module_spec(await pool.module()))
        except Exception as exc:
            logger.exception("no OpenAPI spec from %s", logical_id)
            return FunctionDoc(pool.function, None, error=type(exc).__name__)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
