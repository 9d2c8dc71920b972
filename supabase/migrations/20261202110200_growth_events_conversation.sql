-- Growth events may be about a conversation: growth_config.json's `conversation_processed`
-- rule is recorded by ingestion (issue 5) once per processed conversation, with the
-- conversation as its entity. Same constraint name, one more allowed entity type.

alter table public.growth_events drop constraint if exists growth_events_entity_type_valid;
alter table public.growth_events add constraint growth_events_entity_type_valid
  check (entity_type in ('memory', 'concept', 'artifact', 'card', 'challenge', 'prompt', 'conversation'));
