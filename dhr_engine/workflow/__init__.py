"""The engine side of workflows/*.yaml: schema, loader, guards and the shared Machine."""
