"""GOV.UK Design System pages: one view builds one context, served as HTML or JSON."""
