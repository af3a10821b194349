"""The notification inbox in the API: ``viewer.notifications``,
``viewer.unreadNotifications`` and ``notificationMarkRead``."""
