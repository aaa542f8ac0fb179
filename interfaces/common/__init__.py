"""What the API and the pages share: who is calling, the request context, problems, guards on the way in and out."""
