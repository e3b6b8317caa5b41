"""Item pipelines: a ticket's conversation becomes its record; attachment files are stored beside the feeds.

``ConversationPipeline`` is named here too, for settings that name it by its former path.
"""

from zendesk_crawler.pipelines.conversations import ConversationPipeline

__all__ = ["ConversationPipeline"]
