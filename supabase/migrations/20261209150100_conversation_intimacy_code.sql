-- Hugo's `intimacy_code_reference` at the conversation's level: the principle of the Intimacy
-- Code a person opened the conversation about (e.g. "Principle 3: Authentic Vulnerability"),
-- kept as sent. A message's own `intimacy_code_reference` (the principle one reply drew on) stays
-- the server's.

alter table public.conversations
  add column if not exists intimacy_code_reference text;

alter table public.conversations
  drop constraint if exists conversations_intimacy_code_reference_length;
alter table public.conversations
  add constraint conversations_intimacy_code_reference_length
  check (intimacy_code_reference is null
         or char_length(btrim(intimacy_code_reference)) between 1 and 200);

comment on column public.conversations.intimacy_code_reference is
  'The Intimacy Code principle the person opened this conversation about (Hugo), as sent.';

grant insert (intimacy_code_reference) on table public.conversations to authenticated;
