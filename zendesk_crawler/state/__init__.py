"""The run's state: where each stream resumes, and when that position may move.

- ``store``: state documents (local or S3), written atomically; versions 1 and 2 read;
- ``lock``: one run at a time per export location;
- ``checkpoint``: which position is safe to save while the run goes on;
- ``checks``: what decides the final save at the end of a run;
- ``extension``: the Scrapy extension that does the loading and saving.
"""
