-- GET /v1/cards pages a person's cards newest first (created_at desc, card_id desc): with no
-- index in that order, each page sorted all of them (44 ms at 100k cards, before the page's
-- evolution was evaluated). With it, a page reads its cards off the index.
create index if not exists cards_user_created_idx
  on public.cards (user_id, created_at desc, card_id desc);
