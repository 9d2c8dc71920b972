-- Suggestion keys: what a generated suggestion is about (e.g. learning_path:python), unique per
-- person, so persona analysis can run again (or be retried) without repeating a suggestion: a
-- re-run refreshes the open one in place and leaves a dismissed or acted-upon one alone.
-- Suggestions written without a key (null) are never matched.

alter table public.suggestions add column if not exists suggestion_key text;
comment on column public.suggestions.suggestion_key is
  'Server-chosen identity of a generated suggestion (type:subject), unique per person; null for one-offs.';

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'suggestions_user_key_unique') then
    alter table public.suggestions
      add constraint suggestions_user_key_unique unique (user_id, suggestion_key);
  end if;
end
$$;
