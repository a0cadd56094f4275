"""The web desk (`brief desk serve`): the desk's library, in a browser."""
