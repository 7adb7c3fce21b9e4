"""The operation families of :class:`~cos_async.AsyncCosClient`, one module each.

Each module holds the typed operation functions of its family (``async def put_object(engine,
bucket, key, body, *, write, part, ...)``: a request built from checked values and option
bundles, sent through the engine, parsed into a model) and a mixin class whose public methods
check the caller's arguments, build the bundles and call those functions. The client is the
sum of the mixins (``cos_async._client``); the transfers (``cos_async._transfer``) call the
typed functions directly, with bundles already checked.
"""
