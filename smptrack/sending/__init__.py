"""Sending mail from the outboxes: the reminder sender and the account-mail sender, their
shared outbox discipline, and the scheduler that runs them.

- ``settings``: the ``SMPTRACK_*`` settings of sending, and absolute links without a request.
- ``outbox``: claim, record and reap, shared by both outboxes.
- ``compose``: a reminder's email (subject, text and HTML, calendar attachment).
- ``sender``: the reminder sender's loop, claim -> render -> send -> record.
- ``account_mail``: the account-mail sender (invitations, password resets).
- ``heartbeat``: the sweeps' heartbeats and the once-a-day replan's lock.
- ``replan``: replanning every client.
- ``scheduler``: APScheduler wiring; ``run_once``, ``start_background``, ``run_scheduler``.

Nothing here starts at import: only those three functions start sending, called by commands.
"""
