-- The extraction an ingestion run got from the extractor, kept with the conversation's ingestion
-- record. A retry after a later step failed (the graph, the vectors), a run taking over from one
-- that died, and a by-hand re-run all reuse it instead of asking the language model again: no
-- second bill, and a remote model's different wording the second time cannot add concepts or
-- edges that the first run did not. turns_digest fingerprints the turns it was made from; when
-- the conversation's turns change (it was reopened and talked on), the extraction is made anew.

alter table private.conversation_ingestions add column if not exists extraction jsonb;
alter table private.conversation_ingestions add column if not exists turns_digest text;
comment on column private.conversation_ingestions.extraction is
  'The extractor''s answer (the port''s Extraction as JSON), reused by every later run over the same turns.';
comment on column private.conversation_ingestions.turns_digest is
  'SHA-256 over the turns (id, role, content) the extraction was made from.';

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'conversation_ingestions_extraction_object') then
    alter table private.conversation_ingestions add constraint conversation_ingestions_extraction_object
      check (extraction is null or jsonb_typeof(extraction) = 'object');
  end if;
  if not exists (select 1 from pg_constraint where conname = 'conversation_ingestions_extraction_has_digest') then
    alter table private.conversation_ingestions add constraint conversation_ingestions_extraction_has_digest
      check ((extraction is null) = (turns_digest is null));
  end if;
end
$$;
