"""Files: uploads streamed into blob storage, their metadata, downloads."""
