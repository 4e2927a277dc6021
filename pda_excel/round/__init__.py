"""One evaluation round: roster, assessment of returns, consolidation, checking, mail."""
