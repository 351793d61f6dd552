"""Campaign tables: what they hold (:mod:`.vocabulary`, :mod:`.standard_codes`), how a file is
read (:mod:`.readers`) and how its cells become typed values (:mod:`.conversion`)."""
