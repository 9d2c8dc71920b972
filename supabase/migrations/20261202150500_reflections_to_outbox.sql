-- Reflections reach the pipeline (issue 6): a journal reflection earns growth for the entities it
-- is about (`journal_reflection` in the growth configuration), computed by the webhook from the
-- configured deltas, so a new reflection goes through the outbox like the other mirrored rows.
-- Only inserts: growth is earned by writing a reflection; editing or deleting it takes none back.

drop trigger if exists reflections_to_outbox on public.reflections;
create trigger reflections_to_outbox
  after insert on public.reflections
  for each row execute function private.enqueue_change('reflection_id', 'updated_at');
comment on trigger reflections_to_outbox on public.reflections is
  'New reflections go to the outbox: the webhook records the growth they earn.';
