"""The media bucket's S3 event function: each stored object settles its media item (hashed,
de-duplicated, typed). A failure raises, so Lambda retries the event and then dead-letters it."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from dotline.bootstrap import deps
from dotline.jobs import S3_EVENT, job
from dotline.observability import logger
from dotline.services.media import processing


@event_source(data_class=S3Event)
def settle_objects(event: S3Event, context: Any) -> dict[str, Any]:
    if "Records" not in event.raw_event:  # S3's s3:TestEvent when the notification is set up
        logger.info("s3 event without records", extra={"event": event.raw_event.get("Event")})
        return {"outcomes": []}
    outcomes = [
        processing.process_stored_object(
            deps().db, deps().objects, record.s3.bucket.name, record.s3.get_object.key
        )
        for record in event.records
        if record.event_name.startswith("ObjectCreated:")
    ]
    return {"outcomes": [o.model_dump(mode="json") for o in outcomes]}


handler = job("media_events", settle_objects, correlation_id_path=S3_EVENT, recording="off")
